"""The after-sales review loop: cases in SQL, weekly reports, loss analysis and the red light."""
