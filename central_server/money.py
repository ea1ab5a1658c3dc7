"""Integer money arithmetic: every amount is in fen and never passes through a float."""


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for a non-negative numerator and positive denominator."""
    return (2 * numerator + denominator) // (2 * denominator)
