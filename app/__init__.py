"""riskreg: a vendor and Heroku add-on risk register."""

__version__ = "0.1.0"
