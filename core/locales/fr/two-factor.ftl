## Double authentification : configurer une application d’authentification, la deuxième étape
## de la connexion et les codes de récupération.

tf-title = Double authentification
tf-status-on = La double authentification est activée : pour vous connecter, il vous faut un code de votre application d’authentification en plus de votre mot de passe.
tf-status-off = La double authentification est désactivée. Une fois activée, la connexion demande un code d’une application d’authentification en plus de votre mot de passe.
tf-recovery-left = Codes de récupération restants : { $count }.
tf-recovery-manage = Gérer les codes de récupération
tf-reauth-link = Confirmer votre identité
tf-off-heading = La désactiver
tf-off-password = Mot de passe
tf-off-button = Désactiver la double authentification
tf-set-up-button = Configurer une application d’authentification
tf-enrol-add = Ajoutez la clé à votre application
tf-enrol-scan = Scannez ce code avec votre application d’authentification, puis saisissez le code à { $digits } chiffres qu’elle affiche.
tf-enrol-qr = Code QR de la clé affichée en texte ci-dessous
tf-enrol-key = Ou saisissez cette clé
tf-enrol-settings = Paramètres
tf-enrol-settings-value = { $algorithm }, { $digits } chiffres, { $period } secondes
tf-enrol-confirm-heading = Confirmez avec un code
tf-enrol-code = Code de l’application
tf-enrol-confirm = Activer la double authentification
tf-enrol-restart = Recommencer avec une nouvelle clé
tf-on-title = Double authentification activée
tf-on = La double authentification est activée. Générez dès maintenant des codes de récupération, au cas où vous perdriez votre téléphone.
tf-generate-codes = Générer des codes de récupération
tf-off-title = Double authentification désactivée
tf-off = La double authentification est désactivée et vos codes de récupération sont supprimés.
tf-select-title = Deuxième étape
tf-select-legend = Comment souhaitez-vous confirmer votre identité ?
tf-select-choose = Choisissez l’un des moyens ci-dessous.
tf-method-totp = Un code de mon application d’authentification
tf-method-recovery-code = L’un de mes codes de récupération
tf-method-webauthn = Ma clé d’accès ou ma clé de sécurité
tf-select-continue = Continuer
tf-code-title = Saisissez votre code
tf-code-label = Code à { $digits } chiffres de votre application d’authentification
tf-code-submit = Se connecter
tf-other-method = Utiliser un autre moyen
tf-start-over = Recommencer

recovery-title = Codes de récupération
recovery-sign-in-title = Utiliser un code de récupération
recovery-code-label = Code de récupération
recovery-code-hint = Il ressemble à abcd-efgh-ijkl-mnop.
recovery-fresh-warning = Notez ces codes ou imprimez-les maintenant : ils ne sont affichés que cette fois-ci.
recovery-fresh-once = Chaque code ne fonctionne qu’une fois ; vos codes précédents ne fonctionnent plus.
recovery-fresh-heading = Vos nouveaux codes de récupération
recovery-left = Codes de récupération inutilisés : { $count }.
recovery-generate = Générer une nouvelle série (l’ancienne cesse de fonctionner)
recovery-need-two-factor = Configurez d’abord la double authentification ; les codes de récupération la complètent.
recovery-set-up = Configurer la double authentification

## Email as a second factor.

tf-method-email = Un code reçu par e-mail
tf-email-title = Saisissez le code reçu par e-mail
tf-email-sent = Nous avons envoyé un code à l'adresse de votre compte. Il est valable 10 minutes, pour cette connexion seulement.
tf-email-code-label = Code à 8 chiffres de l'e-mail
tf-set-up-email-button = Utiliser des codes envoyés par e-mail
tf-email-enrol-heading = Consultez vos e-mails
tf-email-enrol-intro = Nous avons envoyé un code à l'adresse de votre compte. Saisissez-le ici pour activer l'e-mail comme second facteur.
tf-email-enrol-confirm = Activer les codes par e-mail
tf-status-on-email = La connexion demande un code envoyé à votre adresse en plus de votre mot de passe.
