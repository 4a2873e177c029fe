"""Page handlers, one module per person: each parses a form, calls ``Syndic``, renders."""
