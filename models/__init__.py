"""The med-spa scheduling domain: scenario, results, loading and the rulebook audit."""
