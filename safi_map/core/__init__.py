"""What every layer uses: errors, messages (i18n), French text, settings, safe file writing."""
