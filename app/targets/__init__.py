"""The 2.0 programme's target board (step 12): each measurable target, per county and national."""
