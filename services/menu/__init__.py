"""The per-role menus: pushing them to WeChat, and the user tags that pick them."""
