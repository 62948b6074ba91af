"""Physical lap timers (serial and network protocols) and the trackside timekeeper."""
