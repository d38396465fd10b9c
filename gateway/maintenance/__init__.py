"""Work that spans every app on purpose: the scheduler, the sweeper, retention purges."""
