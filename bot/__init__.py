"""The faces: `slack/` and `discord/` (each adapter with its delivery task), `cli/` (the
`supportbot` command) and `report/` (the page it serves); `chat/` holds what every platform does
alike, and `worker` is the delivery worker that runs both platforms' deliveries.
"""
