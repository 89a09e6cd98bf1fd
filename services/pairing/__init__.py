"""Pairing (结对共建): agreements, 四个一 progress, needs lists, activities."""
