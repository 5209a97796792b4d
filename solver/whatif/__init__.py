"""What-if analysis: scenario variants made without editing YAML (variants.py) and their key
figures side by side (compare.py)."""

from solver.whatif.compare import compare
from solver.whatif.variants import Variant, Variation, vary

__all__ = ["Variant", "Variation", "compare", "vary"]
