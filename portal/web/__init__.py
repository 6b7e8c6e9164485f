"""The HTTP edge of the portal: what every response carries and the two endpoints that
set and clear the session cookie. Sits outside Reflex's event layer (``rx.App``'s
``api_transformer``) and calls the services like any other caller."""
