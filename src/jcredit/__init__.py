"""jcredit: the J-Credit (J-クレジット制度) and JCM registry and digital MRV platform."""

__version__ = "0.1.0"
