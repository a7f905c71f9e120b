"""The page sizes every list offers, on the pages and in the API alike."""

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
