"""HJ 212 gateway: the TCP edge where devices connect (sessions, authentication, limits, replies) and the
mapping of accepted data packets to observation rows. Durability is the bus's job (see `stream`)."""
