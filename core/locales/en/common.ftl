## Shared by every page: the layout, navigation and generic messages.

layout-skip = Skip to the content
layout-support = Help and support
nav-account = My account
nav-sign-in = Sign in
nav-start = Start
nav-sign-out = Sign out
error-title = Error { $status }
