"""A registered case's life: SOP steps, tasks, deadlines, letters, register, DIP, reports."""
