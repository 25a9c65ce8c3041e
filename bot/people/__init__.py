"""People: who someone is and what they may do.

Owns identifying the person behind a Telegram account and their language (`identity`), binding a
constituent to a station or a deputy and moving an account onto an imported record (`binding`),
one-time invitations that grant a role (`invitations`), the one-time secrets behind invitation
and console links (`tokens`), and what a role allows (`roles`, the one `is_staff`).
"""
