## sessions
