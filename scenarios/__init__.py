"""Sample clinics and the seeded generator of synthetic clinics."""
