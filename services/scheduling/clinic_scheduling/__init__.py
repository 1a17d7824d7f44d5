"""The scheduling service: locations, their resources and the appointments booked there."""
