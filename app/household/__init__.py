"""The household picture (家戶圖像): what the county holds about the persons of a report or a case, what
other systems have sent about them, and the explainable risk flags (風險預警) computed from it."""
