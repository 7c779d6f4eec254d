"""The actors' model: taxonomy, tour, the consent gate (public fields), synthetic data."""
