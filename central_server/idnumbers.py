"""Resident ID numbers (GB 11643-1999): 17 digits and a check character."""

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_char(body: str) -> str:
    """The check character for the first 17 digits of an ID number."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("an ID number body is 17 ASCII digits")
    return CHECK_CHARS[sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True)) % 11]
