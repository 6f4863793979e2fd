"""svg-agent: the SVG core (validate, sanitize, render, defenses) and the drawing policy."""

from .constraints import ValidationResult, Violation, validate
from .sanitize import SanitizeResult, sanitize

__all__ = ["SanitizeResult", "ValidationResult", "Violation", "sanitize", "validate"]
__version__ = "0.1.0"
