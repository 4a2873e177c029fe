"""Pages people read: the HTML reports and views for members, licensees and stewards."""
