"""Figures computed from the actors (no HTML): synergies, diagnostic, selections."""
