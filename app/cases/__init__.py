"""Family cases (以家庭為中心的個案管理): step 3."""
