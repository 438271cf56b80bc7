"""Reports to the ministry as PDF: step 6."""
