"""The ``syndic`` command: parse options, build ``Syndic``, call one method, print."""
