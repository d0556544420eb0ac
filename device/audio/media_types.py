"""HTTP media types of the streams the unit plays (what a server's Content-Type may say)."""

OGG_MEDIA_TYPES = frozenset({"application/ogg", "audio/ogg", "audio/opus"})
MP3_MEDIA_TYPES = frozenset({"audio/mpeg", "audio/mp3", "audio/x-mpeg", "audio/mpeg3"})
