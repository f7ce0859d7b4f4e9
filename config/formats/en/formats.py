"""English dates as the agency writes them ("3 December 2026"), not Django's American
defaults ("Dec. 3, 2026"): the named formats (`DATE_FORMAT`, ...) that pages use so
German readers get "3. Dezember 2026". German keeps Django's own formats."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
