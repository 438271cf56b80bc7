"""The measures of the 2.0 programme's new groups: 育兒指導涵蓋率, 獨居老人觸及率, 性影像移除率 (written on another branch)."""
