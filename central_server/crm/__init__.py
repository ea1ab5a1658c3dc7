"""The centre's customer relationship core (issue #12): touchpoints from every channel, 好差评 ratings,
complaints and suggestions, the follow-up cases bad ratings open, one timeline per customer, and the
service-quality scorecard computed from them."""
