"""通報調查處理中心 (from 116年): investigation of child-protection reports and dispatch to services (step 12)."""
