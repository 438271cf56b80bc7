"""Reports (通報) and the screening-and-dispatch centre (集中篩派案)."""
