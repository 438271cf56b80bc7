"""通報調查處理中心 (社安網2.0, 116年起): child-protection reports investigated by the county's centre from its
start date, their deadlines and outcomes, and the family's dispatch to services afterwards."""
