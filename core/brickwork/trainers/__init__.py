"""Training machinery behind ``Model.compile`` / ``fit`` / ``evaluate`` / ``predict``."""
