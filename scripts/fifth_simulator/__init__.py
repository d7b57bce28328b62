"""Fifth radiograph simulator: statistical anatomy in the line-integral domain."""
