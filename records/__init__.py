"""What the dialogue records for staff: questions asked, feedback and handoff tickets."""
