"""Exchange in the ministry's standard (TWSS FHIR IG): the county's registered client systems, the
FHIR export of a family case, report intake as a ServiceRequest and the 列管 status endpoint."""
