"""Multi-page documents (PDF, multi-page TIFF), their pages and progress, exports of
results, and ground truth that users bring with a page."""
