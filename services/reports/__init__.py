"""Monthly reports (月报), exports, the year summary and the bureau's view."""
