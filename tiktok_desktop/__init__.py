"""tiktok-desktop: schedule TikTok video posts from the desktop."""

__version__ = "0.1.0"
APP_NAME = "tiktok-desktop"
APP_DISPLAY_NAME = "TikTok Desktop"
ORG_NAME = "tiktok-desktop"
ORG_DOMAIN = "tiktok-desktop.invalid"
APP_ID = "io.github.tiktok_desktop"
