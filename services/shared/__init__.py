"""What features share: periods, spreadsheets, drafts, the working-day calendar."""
