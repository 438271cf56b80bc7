"""The measure of the 通報調查處理中心: 兒少通報案經調查處理中心派案服務提供率 (written on another branch)."""
