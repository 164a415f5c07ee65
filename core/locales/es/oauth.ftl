## oauth
