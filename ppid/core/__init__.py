"""The foundation every subsystem stands on: settings, errors, locks, database, models, calendar."""
