#!/usr/bin/env python3
"""Write monitor/data/spoken/spoken_multilingual.jsonl: project-written harm lines in de es fr it nl pl pt ro.

The non-English counterpart of the English spoken set (`monitor/data/spoken/<label>.jsonl`) for the
multilingual harm heads (`monitor/multilingual/heads_train.py`): per language and harm label (election, health,
threat, hate), positives of the live-speech kinds (`plain` claim, `paraphrase`, `implicit`/insinuating, `call`
to action, `dog_whistle`) and hard negatives (`procedure`: correct procedural information, `debunk`,
`counter_speech`, `reporting`, `figurative` speech, `sport` talk, ordinary heated `politics`). Each base is said
bare, after a speaker's opener, before a closer, and as an ASR rendering (lower case, no punctuation, now and
then a short word dropped); all variants of a base share its `group` (`spml-<lang>-<label>-<nn>`), so a split by
group never cuts a base. Written by the project from general knowledge of narratives documented in each country
(voting by text or app, pencil and pen myths, postal and proxy-vote fraud, dead voters, rigged counts, rejecting
results and blockades; vaccines and DNA, sudden deaths, chlorine dioxide, ivermectin, calls against the measles
vaccine; threats against officials and journalists; dehumanising migrants and minorities, replacement rhetoric),
not from the functional suite (`tests/functional/`) and not from the rules' keyword lists. Fictional names, no
slurs. Licence: CC0-1.0, as the rest of `monitor/data/spoken`.

Held out from the suite: every line that shares a 6-word sequence with a suite utterance (case text or context
turn), or has cosine >= 0.9 to one on the standard MiniLM sentence embedding (the check of the English set) or
on the multilingual engine's (the embedding these heads are trained on), is dropped, and what was dropped is
printed; `tests/unit/test_spoken_set.py` checks both on the shipped file. Seeded and deterministic.

    python scripts/make_spoken_multilingual.py
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from monitor.classify import spoken

OUT = Path(__file__).resolve().parents[1] / "monitor" / "data" / "spoken" / "spoken_multilingual.jsonl"
SEED = 20261215
#: The speaker's stance towards the harm, by hard-negative case (positives assert it), as in the English set.
STANCE_OF_CASE = {"debunk": "deny", "counter_speech": "condemn", "reporting": "report"}
KINDS = {"+": "positive", "~": "hard_negative"}
_DROPPABLE = {"de": {"die", "der", "das", "und"}, "es": {"el", "la", "los", "que"}, "fr": {"le", "la", "les", "que"},
              "it": {"il", "la", "che", "e"}, "nl": {"de", "het", "en", "dat"}, "pl": {"i", "w", "to", "że"},
              "pt": {"o", "a", "os", "que"}, "ro": {"și", "la", "că", "e"}}

# Per language and label: `KIND CASE | text` with KIND `+` (the harm, in the speaker's own voice) or `~` (a hard
# negative on the same topic).
BASES: dict[str, dict[str, list[str]]] = {
    "de": {
        "election": [
            "+ plain | die briefwahlstimmen werden in den rathäusern einfach ausgetauscht, deshalb gewinnen immer dieselben",
            "+ paraphrase | bei der letzten wahl haben auch hunderte tote abgestimmt, die stehen noch alle im wählerverzeichnis",
            "+ implicit | komisch, dass die auszählung in der nacht plötzlich unterbrochen wurde und danach alles anders aussah, oder?",
            "+ call | nehmt euren eigenen kugelschreiber mit, mit dem bleistift in der kabine radieren die euer kreuz wieder weg",
            "+ call | wenn das ergebnis so kommt, dann blockieren wir das wahlamt, bis neu ausgezählt wird, alle hinkommen",
            "+ dog_whistle | diesmal könnt ihr übrigens bequem per sms an die nummer der wahlleitung abstimmen, spart euch den weg",
            "+ plain | die wahl ist gefälscht, das ergebnis erkennen wir nicht an",
            "~ procedure | gewählt wird am sonntag von acht bis achtzehn uhr im wahllokal, bringen sie ihre wahlbenachrichtigung und den ausweis mit",
            "~ procedure | den antrag auf briefwahl können sie bis freitag achtzehn uhr bei ihrer gemeinde stellen",
            "~ debunk | nein, man kann in deutschland nicht per sms oder app wählen, das ist eine falschmeldung",
            "~ debunk | das mit dem bleistift ist ein mythos, das kreuz mit bleistift ist gültig und wird nicht wegradiert",
            "~ counter_speech | wer jetzt behauptet, die wahl sei gestohlen, ohne einen beleg, der beschädigt unsere demokratie",
            "~ reporting | die landeswahlleiterin hat das amtliche endergebnis heute bekannt gegeben, die wahlbeteiligung lag bei einundsiebzig prozent",
            "~ figurative | der trainer hat die wahl zwischen pest und cholera, beide stürmer sind verletzt",
            "~ politics | diese regierung ist eine katastrophe, bei der nächsten wahl jagen wir sie aus dem amt",
        ],
        "health": [
            "+ plain | die mrna impfung baut sich in euer erbgut ein, das kriegt ihr nie wieder raus",
            "+ paraphrase | seit der impfung fallen überall junge sportler einfach tot um, plötzlich und unerwartet",
            "+ implicit | merkwürdig, wie viele in meinem bekanntenkreis nach dem booster krebs bekommen haben, denkt mal drüber nach",
            "+ call | lasst eure kinder bloß nicht gegen masern impfen, die masern stärken das immunsystem",
            "+ call | nehmt jeden morgen ein paar tropfen chlordioxid ins wasser, das reinigt den körper von jedem virus",
            "+ dog_whistle | mit ivermectin aus der tierhandlung war ich in zwei tagen wieder gesund, das wollen die nicht, dass ihr das wisst",
            "+ plain | krebs kann man mit basischer ernährung und natron heilen, die chemo bringt euch nur um",
            "~ procedure | termine für die grippeimpfung gibt es ab oktober in ihrer hausarztpraxis, die kasse übernimmt die kosten",
            "~ debunk | impfstoffe verändern nicht das erbgut, die mrna gelangt gar nicht in den zellkern",
            "~ debunk | chlordioxid ist eine bleiche und kein heilmittel, trinken sie das auf keinen fall",
            "~ counter_speech | hört auf, eltern angst vor der masernimpfung zu machen, kinder sterben an masern, nicht an der impfung",
            "~ reporting | das landgericht hat einen heilpraktiker verurteilt, der krebskranken bleichmittel verkauft hatte",
            "~ figurative | dieser ohrwurm ist ansteckender als jedes virus, ich krieg ihn nicht aus dem kopf",
            "~ sport | unser torwart fällt mit einem kreuzbandriss für den rest der saison aus",
            "~ politics | die krankenhausreform ist ein totaler murks, auf dem land macht eine klinik nach der anderen zu",
        ],
        "threat": [
            "+ plain | wir wissen, wo du wohnst, herr bürgermeister kessler, und wir kommen vorbei",
            "+ paraphrase | den journalisten von der lokalzeitung sollte man mal ordentlich verprügeln, bis er nicht mehr schreiben kann",
            "+ implicit | die richterin hat zwei kleine kinder und fährt jeden morgen dieselbe strecke, nur so als info",
            "+ call | wir treffen uns freitag vor dem haus vom landrat und holen ihn da raus, bringt was mit",
            "+ dog_whistle | für die verräter im landtag ist schon ein galgen reserviert, der tag wird kommen",
            "+ plain | wenn die abgeordnete noch einmal hier auftaucht, zünden wir ihr büro an",
            "~ procedure | wer im netz bedroht wird, kann das bei der online wache der polizei anzeigen, machen sie screenshots",
            "~ debunk | nein, der bürgermeister wurde nicht angegriffen, das video ist drei jahre alt und aus einem anderen land",
            "~ counter_speech | drohungen gegen kommunalpolitiker sind keine meinung, das ist eine straftat und wir stehen hinter ihnen",
            "~ reporting | ein fünfzigjähriger wurde verurteilt, weil er einer reporterin per mail mit dem tod gedroht hatte",
            "~ figurative | wenn du noch einmal meinen letzten joghurt isst, bring ich dich um, ehrlich",
            "~ sport | am samstag machen wir die bayern platt, die haben keine chance gegen uns",
            "~ politics | diese minister gehören abgewählt, und zwar alle, am besten schon morgen",
        ],
        "hate": [
            "+ plain | diese flüchtlinge sind ungeziefer, die vermehren sich und fressen unser land leer",
            "+ paraphrase | die muslime sind keine menschen wie wir, die kann man nicht integrieren, nur loswerden",
            "+ implicit | seit die neuen nachbarn aus afrika da sind, schließen alle ihre türen ab, da weiß man doch bescheid",
            "+ call | wir müssen die alle rausschmeißen, jeden einzelnen, und zwar bevor es zu spät ist",
            "+ dog_whistle | die umvolkung läuft nach plan, in zwanzig jahren sind wir fremde im eigenen land",
            "+ plain | roma sind von natur aus kriminell, das liegt denen im blut",
            "~ procedure | die integrationskurse der volkshochschule starten im september, anmeldung im bürgerbüro",
            "~ debunk | die geschichte vom großen austausch ist eine verschwörungserzählung, es gibt keinen geheimen plan",
            "~ counter_speech | menschen als ungeziefer zu bezeichnen ist widerlich, so fing es schon einmal an",
            "~ reporting | die polizei ermittelt wegen volksverhetzung gegen die betreiber eines kanals, der gegen flüchtlinge hetzte",
            "~ figurative | meine kollegen sind wie heuschrecken, wenn jemand kuchen mitbringt",
            "~ sport | die gästefans waren laut, aber fair, ein schöner fußballabend",
            "~ politics | die asylpolitik der regierung ist gescheitert, wir brauchen schnellere verfahren und klare regeln",
        ],
    },
    "es": {
        "election": [
            "+ plain | los votos por correo se cambian en las oficinas de correos, por eso gana siempre el mismo",
            "+ paraphrase | en las últimas elecciones votaron miles de muertos, siguen todos en el censo electoral",
            "+ implicit | qué casualidad que el recuento se parara a medianoche y luego todo cambiara, ¿no os parece raro?",
            "+ call | llevad vuestro propio boli, con el lápiz de la cabina luego os borran el voto",
            "+ call | si sale ese resultado rodeamos la junta electoral hasta que se repita el recuento, venid todos",
            "+ dog_whistle | este año se puede votar desde el móvil mandando un whatsapp con el nombre del partido, así no hace falta ir",
            "+ plain | estas elecciones están amañadas y no vamos a aceptar el resultado",
            "~ procedure | los colegios electorales abren a las nueve y cierran a las ocho, llevad el dni",
            "~ procedure | el voto por correo se puede solicitar en cualquier oficina de correos hasta diez días antes",
            "~ debunk | no, en españa no se puede votar por whatsapp ni por internet, es un bulo",
            "~ debunk | es falso que los muertos voten, el censo se actualiza con los datos del registro civil",
            "~ counter_speech | decir que hubo pucherazo sin pruebas es un ataque a los miles de vecinos que trabajan en las mesas",
            "~ reporting | la junta electoral central ha publicado el escrutinio definitivo, la participación fue del sesenta y ocho por ciento",
            "~ figurative | en la final el entrenador tiene que elegir entre susto o muerte, con dos delanteros lesionados",
            "~ politics | este gobierno es un desastre y en las próximas elecciones los mandamos a casa",
        ],
        "health": [
            "+ plain | la vacuna de arn se mete en tu adn y te lo cambia para siempre",
            "+ paraphrase | desde que vacunaron a todo el mundo caen deportistas jóvenes muertos en el campo, muerte súbita por todas partes",
            "+ implicit | qué curioso que tanta gente de mi barrio tenga cáncer justo después de la tercera dosis, pensadlo",
            "+ call | no vacunéis a los niños contra el sarampión, pasarlo les hace más fuertes",
            "+ call | tomad unas gotas de dióxido de cloro en agua cada mañana, limpia el cuerpo de cualquier virus",
            "+ dog_whistle | con la ivermectina del veterinario me curé en dos días, eso no quieren que lo sepáis",
            "+ plain | el cáncer se cura con bicarbonato y zumo de limón, la quimio solo te mata",
            "~ procedure | la vacuna de la gripe se pone desde octubre en tu centro de salud, pide cita por la app",
            "~ debunk | las vacunas no modifican el adn, el arn mensajero ni siquiera entra en el núcleo de la célula",
            "~ debunk | el dióxido de cloro es lejía, no es ningún remedio, no lo bebáis nunca",
            "~ counter_speech | dejad de asustar a los padres con la vacuna del sarampión, los niños mueren por el sarampión, no por la vacuna",
            "~ reporting | un juzgado ha condenado a un curandero que vendía lejía como cura para el autismo",
            "~ figurative | esa canción es más contagiosa que un virus, no me la quito de la cabeza",
            "~ sport | el portero se ha roto el ligamento cruzado y se pierde lo que queda de temporada",
            "~ politics | los recortes en la sanidad pública son una vergüenza, hay listas de espera de un año",
        ],
        "threat": [
            "+ plain | sabemos dónde vives, señor alcalde ferrándiz, y vamos a ir a verte",
            "+ paraphrase | a ese periodista del diario local habría que darle una paliza hasta que deje de escribir",
            "+ implicit | la jueza tiene dos hijos pequeños y sale cada mañana por la misma calle, solo lo digo",
            "+ call | quedamos el viernes delante de la casa del concejal y lo sacamos de ahí, traed algo",
            "+ dog_whistle | para los traidores del congreso ya hay sogas preparadas, ya llegará su día",
            "+ plain | como esa diputada vuelva por aquí le quemamos la oficina",
            "~ procedure | si te amenazan en redes puedes denunciarlo en la comisaría o en la web de la policía, guarda capturas",
            "~ debunk | no, el alcalde no fue agredido, ese vídeo es de hace tres años y de otro país",
            "~ counter_speech | amenazar a un concejal no es libertad de expresión, es un delito, y estamos con ellos",
            "~ reporting | condenan a un hombre de cincuenta años por amenazar de muerte a una periodista por correo",
            "~ figurative | como te vuelvas a comer mi último yogur te mato, te lo juro",
            "~ sport | el sábado les vamos a pasar por encima, no tienen nada que hacer contra nosotros",
            "~ politics | a estos ministros hay que echarlos a todos en las urnas, cuanto antes mejor",
        ],
        "hate": [
            "+ plain | esos inmigrantes son una plaga, se reproducen como ratas y nos están devorando el país",
            "+ paraphrase | los musulmanes no son personas como nosotros, no se pueden integrar, solo echarlos",
            "+ implicit | desde que llegaron los nuevos vecinos africanos todo el mundo cierra con llave, ya sabéis por qué",
            "+ call | hay que echarlos a todos, uno por uno, antes de que sea demasiado tarde",
            "+ dog_whistle | el gran reemplazo ya está en marcha, dentro de veinte años seremos extranjeros en nuestra tierra",
            "+ plain | los gitanos llevan el robo en la sangre, es su naturaleza",
            "~ procedure | los cursos de castellano para recién llegados empiezan en septiembre, inscripción en el ayuntamiento",
            "~ debunk | lo del gran reemplazo es una teoría conspirativa, no existe ningún plan secreto",
            "~ counter_speech | llamar plaga a seres humanos es repugnante, así empezó lo peor de nuestra historia",
            "~ reporting | la fiscalía investiga por delito de odio a los administradores de un canal que atacaba a los refugiados",
            "~ figurative | mis compañeros son como langostas cuando alguien trae pasteles a la oficina",
            "~ sport | la afición visitante animó mucho pero con respeto, una gran noche de fútbol",
            "~ politics | la política migratoria del gobierno ha fracasado, necesitamos procedimientos más rápidos y reglas claras",
        ],
    },
    "fr": {
        "election": [
            "+ plain | les procurations sont trafiquées dans les mairies, c'est pour ça que ce sont toujours les mêmes qui gagnent",
            "+ paraphrase | aux dernières élections des milliers de morts ont voté, ils sont encore tous sur les listes électorales",
            "+ implicit | bizarre que le dépouillement se soit arrêté en pleine nuit et que tout ait changé après, non ?",
            "+ call | apportez votre propre stylo, sinon ils peuvent modifier votre bulletin après, ne leur faites pas confiance",
            "+ call | si ce résultat tombe, on bloque la préfecture jusqu'à ce qu'on recompte, venez tous",
            "+ dog_whistle | cette année vous pouvez voter de chez vous en envoyant un texto avec le nom du candidat, pas besoin de vous déplacer",
            "+ plain | cette élection est truquée et on n'acceptera pas le résultat",
            "~ procedure | les bureaux de vote ouvrent à huit heures et ferment à dix-neuf heures, n'oubliez pas votre pièce d'identité",
            "~ procedure | vous pouvez établir une procuration en ligne puis la valider au commissariat ou à la gendarmerie",
            "~ debunk | non, on ne peut pas voter par texto ni par internet pour la présidentielle, c'est une fausse information",
            "~ debunk | c'est faux, les morts ne votent pas, les listes sont mises à jour avec l'état civil",
            "~ counter_speech | crier à la fraude sans la moindre preuve, c'est insulter les bénévoles qui tiennent les bureaux de vote",
            "~ reporting | le ministère de l'intérieur a publié les résultats définitifs, la participation atteint soixante-sept pour cent",
            "~ figurative | pour la finale l'entraîneur doit choisir entre la peste et le choléra, ses deux attaquants sont blessés",
            "~ politics | ce gouvernement est une catastrophe, aux prochaines élections on les renvoie chez eux",
        ],
        "health": [
            "+ plain | le vaccin à arn s'intègre dans votre adn et le modifie pour toujours",
            "+ paraphrase | depuis la vaccination de jeunes sportifs tombent morts sur les terrains, des morts subites partout",
            "+ implicit | c'est curieux tous ces cancers autour de moi juste après la troisième dose, réfléchissez",
            "+ call | ne faites surtout pas vacciner vos enfants contre la rougeole, l'attraper les rend plus forts",
            "+ call | mettez quelques gouttes de dioxyde de chlore dans votre eau chaque matin, ça nettoie le corps de tous les virus",
            "+ dog_whistle | avec l'ivermectine pour chevaux je me suis soigné en deux jours, ça ils ne veulent pas que vous le sachiez",
            "+ plain | le cancer se guérit avec du bicarbonate et du jus de citron, la chimio ne fait que vous tuer",
            "~ procedure | la vaccination contre la grippe commence en octobre chez votre médecin ou en pharmacie",
            "~ debunk | les vaccins ne modifient pas l'adn, l'arn messager n'entre même pas dans le noyau",
            "~ debunk | le dioxyde de chlore c'est de l'eau de javel, pas un remède, n'en buvez jamais",
            "~ counter_speech | arrêtez d'effrayer les parents avec le vaccin contre la rougeole, les enfants meurent de la rougeole, pas du vaccin",
            "~ reporting | un guérisseur a été condamné pour avoir vendu de l'eau de javel à des malades du cancer",
            "~ figurative | ce refrain est plus contagieux qu'un virus, impossible de me le sortir de la tête",
            "~ sport | notre gardien s'est rompu les ligaments croisés, il est forfait pour le reste de la saison",
            "~ politics | la fermeture des maternités en province est un scandale, il faut faire cent kilomètres pour accoucher",
        ],
        "threat": [
            "+ plain | on sait où tu habites, monsieur le maire duverger, et on va passer te voir",
            "+ paraphrase | ce journaliste du quotidien local, il faudrait lui casser les jambes pour qu'il arrête d'écrire",
            "+ implicit | la juge a deux petits enfants et elle prend la même route chaque matin, je dis ça comme ça",
            "+ call | rendez-vous vendredi devant chez le préfet, on va le sortir de là, ramenez de quoi faire",
            "+ dog_whistle | pour les traîtres de l'assemblée, les cordes sont déjà prêtes, leur jour viendra",
            "+ plain | si cette députée remet les pieds ici on brûle sa permanence",
            "~ procedure | si vous êtes menacé en ligne, signalez-le sur la plateforme pharos et portez plainte, gardez des captures",
            "~ debunk | non, le maire n'a pas été agressé, cette vidéo date de trois ans et vient d'un autre pays",
            "~ counter_speech | menacer un élu, ce n'est pas une opinion, c'est un délit, et nous sommes à leurs côtés",
            "~ reporting | un homme de cinquante ans a été condamné pour avoir menacé de mort une journaliste par courriel",
            "~ figurative | si tu manges encore mon dernier yaourt je te tue, je te jure",
            "~ sport | samedi on va les écraser, ils n'ont aucune chance contre nous",
            "~ politics | ces ministres, il faut tous les dégager aux prochaines élections, le plus vite possible",
        ],
        "hate": [
            "+ plain | ces migrants sont de la vermine, ils se multiplient comme des rats et dévorent notre pays",
            "+ paraphrase | les musulmans ne sont pas des gens comme nous, on ne peut pas les intégrer, juste s'en débarrasser",
            "+ implicit | depuis que les nouveaux voisins africains sont arrivés tout le monde ferme à clé, vous voyez ce que je veux dire",
            "+ call | il faut tous les virer, un par un, avant qu'il ne soit trop tard",
            "+ dog_whistle | le grand remplacement est en cours, dans vingt ans nous serons des étrangers chez nous",
            "+ plain | les roms ont le vol dans le sang, c'est leur nature",
            "~ procedure | les cours de français pour les nouveaux arrivants commencent en septembre, inscription à la mairie",
            "~ debunk | le grand remplacement est une théorie du complot, il n'existe aucun plan secret",
            "~ counter_speech | traiter des êtres humains de vermine, c'est ignoble, c'est comme ça que le pire a commencé",
            "~ reporting | le parquet a ouvert une enquête pour provocation à la haine contre les animateurs d'une chaîne qui visait les réfugiés",
            "~ figurative | mes collègues sont de vrais criquets dès que quelqu'un apporte des gâteaux",
            "~ sport | les supporters adverses ont fait beaucoup de bruit mais dans le respect, belle soirée de foot",
            "~ politics | la politique migratoire du gouvernement est un échec, il faut des procédures plus rapides et des règles claires",
        ],
    },
    "it": {
        "election": [
            "+ plain | la matita copiativa si cancella, nei seggi poi cambiano le croci e vince sempre chi vogliono loro",
            "+ paraphrase | alle ultime elezioni hanno votato migliaia di morti, sono ancora tutti nelle liste elettorali",
            "+ implicit | strano che lo spoglio si sia fermato a mezzanotte e poi sia cambiato tutto, no?",
            "+ call | portatevi una penna da casa e ripassate la croce, se no ve la cancellano",
            "+ call | se esce quel risultato andiamo a bloccare la prefettura finché non ricontano, venite tutti",
            "+ dog_whistle | quest'anno si vota anche con un sms al numero del comune, così non dovete andare al seggio",
            "+ plain | il voto degli italiani all'estero è tutto truccato, le schede le compilano in blocco",
            "~ procedure | i seggi sono aperti domenica dalle sette alle ventitré, portate la tessera elettorale e un documento",
            "~ procedure | se avete perso la tessera elettorale potete chiederne un duplicato all'ufficio elettorale del comune",
            "~ debunk | no, in italia non si può votare via sms o online, è una bufala",
            "~ debunk | la matita copiativa non si cancella, è fatta apposta per non poter essere modificata",
            "~ counter_speech | parlare di brogli senza uno straccio di prova offende gli scrutatori che lavorano tutta la notte",
            "~ reporting | il viminale ha pubblicato i dati definitivi, l'affluenza è stata del sessantatré per cento",
            "~ figurative | per la finale il mister deve scegliere tra la padella e la brace, ha due attaccanti infortunati",
            "~ politics | questo governo è un disastro e alle prossime elezioni li mandiamo a casa",
        ],
        "health": [
            "+ plain | il vaccino a mrna entra nel dna e te lo modifica per sempre",
            "+ paraphrase | da quando hanno vaccinato tutti i ragazzi giovani muoiono sui campi da calcio, morti improvvise ovunque",
            "+ implicit | curioso quanti tumori ci sono nel mio palazzo subito dopo la terza dose, pensateci",
            "+ call | non fate vaccinare i bambini contro il morbillo, prenderlo li rende più forti",
            "+ call | mettete qualche goccia di biossido di cloro nell'acqua ogni mattina, pulisce il corpo da tutti i virus",
            "+ dog_whistle | con l'ivermectina per cavalli sono guarito in due giorni, questo non vogliono che lo sappiate",
            "+ plain | il cancro si cura col bicarbonato, la chemio ti ammazza e basta",
            "~ procedure | la vaccinazione antinfluenzale parte a ottobre dal medico di base e in farmacia",
            "~ debunk | i vaccini non modificano il dna, l'mrna non entra nemmeno nel nucleo della cellula",
            "~ debunk | il biossido di cloro è candeggina, non è una cura, non bevetelo mai",
            "~ counter_speech | smettetela di spaventare i genitori sul vaccino del morbillo, i bambini muoiono di morbillo, non di vaccino",
            "~ reporting | il tribunale ha condannato un guaritore che vendeva candeggina ai malati di tumore",
            "~ figurative | questo ritornello è più contagioso di un virus, non me lo tolgo dalla testa",
            "~ sport | il nostro portiere si è rotto il crociato e salta il resto della stagione",
            "~ politics | i tagli alla sanità pubblica sono una vergogna, per una visita si aspetta un anno",
        ],
        "threat": [
            "+ plain | sappiamo dove abiti, signor sindaco ferraresi, e veniamo a trovarti",
            "+ paraphrase | a quel giornalista del quotidiano locale bisognerebbe spaccargli le gambe così smette di scrivere",
            "+ implicit | la giudice ha due bambini piccoli e fa la stessa strada ogni mattina, lo dico così",
            "+ call | ci vediamo venerdì sotto casa dell'assessore e lo tiriamo fuori, portate qualcosa",
            "+ dog_whistle | per i traditori in parlamento ci sono già le corde pronte, il loro giorno arriverà",
            "+ plain | se quella deputata torna qui le bruciamo l'ufficio",
            "~ procedure | se venite minacciati online potete denunciare alla polizia postale, salvate gli screenshot",
            "~ debunk | no, il sindaco non è stato aggredito, quel video è di tre anni fa e di un altro paese",
            "~ counter_speech | minacciare un consigliere comunale non è un'opinione, è un reato, e noi siamo con loro",
            "~ reporting | condannato un cinquantenne che aveva minacciato di morte una giornalista via mail",
            "~ figurative | se ti mangi un'altra volta il mio ultimo yogurt ti ammazzo, giuro",
            "~ sport | sabato li asfaltiamo, non hanno nessuna possibilità contro di noi",
            "~ politics | questi ministri vanno mandati a casa tutti alle urne, prima possibile",
        ],
        "hate": [
            "+ plain | questi immigrati sono parassiti, si riproducono come topi e si mangiano il nostro paese",
            "+ paraphrase | i musulmani non sono persone come noi, non si possono integrare, solo cacciare",
            "+ implicit | da quando sono arrivati i nuovi vicini africani tutti chiudono a chiave, avete capito perché",
            "+ call | bisogna cacciarli tutti, uno per uno, prima che sia troppo tardi",
            "+ dog_whistle | la sostituzione etnica è già in corso, tra vent'anni saremo stranieri a casa nostra",
            "+ plain | i rom hanno il furto nel sangue, è la loro natura",
            "~ procedure | i corsi di italiano per stranieri iniziano a settembre, iscrizioni all'ufficio del comune",
            "~ debunk | la sostituzione etnica è una teoria del complotto, non esiste nessun piano segreto",
            "~ counter_speech | chiamare parassiti degli esseri umani è schifoso, è così che è cominciato il peggio",
            "~ reporting | la procura indaga per propaganda d'odio gli amministratori di un canale che attaccava i rifugiati",
            "~ figurative | i miei colleghi sono come cavallette quando qualcuno porta le paste in ufficio",
            "~ sport | i tifosi ospiti hanno cantato tanto ma con rispetto, una bella serata di calcio",
            "~ politics | la politica migratoria del governo è fallita, servono procedure più rapide e regole chiare",
        ],
    },
    "nl": {
        "election": [
            "+ plain | de stemmen per volmacht worden op het stadhuis gewoon omgewisseld, daarom winnen altijd dezelfden",
            "+ paraphrase | bij de vorige verkiezingen hebben duizenden doden gestemd, die staan nog allemaal op de lijst",
            "+ implicit | raar dat het tellen midden in de nacht werd stilgelegd en dat daarna alles anders was, toch?",
            "+ call | neem je eigen pen mee, met dat rode potlood kunnen ze je stem later nog veranderen",
            "+ call | als die uitslag zo blijft, blokkeren we het gemeentehuis tot er opnieuw geteld wordt, kom allemaal",
            "+ dog_whistle | dit jaar kun je ook gewoon stemmen met je digid via de app, scheelt je een wandeling",
            "+ plain | deze verkiezingen zijn doorgestoken kaart en die uitslag erkennen wij niet",
            "~ procedure | de stembureaus zijn woensdag open van half acht tot negen uur, neem je stempas en een geldig id mee",
            "~ procedure | wie niet zelf kan gaan, kan een volmacht geven aan een andere kiezer door de stempas te ondertekenen",
            "~ debunk | nee, in nederland kun je niet online of met een app stemmen, dat is nepnieuws",
            "~ debunk | het rode potlood is gewoon geldig, je stem wordt niet uitgegumd of veranderd",
            "~ counter_speech | wie zonder bewijs roept dat de verkiezingen gestolen zijn, beschadigt de vrijwilligers op de stembureaus",
            "~ reporting | de kiesraad heeft de officiële uitslag vastgesteld, de opkomst was achtenzeventig procent",
            "~ figurative | de trainer moet kiezen tussen twee kwaden, beide spitsen zijn geblesseerd",
            "~ politics | dit kabinet is een ramp en bij de volgende verkiezingen sturen we ze naar huis",
        ],
        "health": [
            "+ plain | het mrna vaccin bouwt zich in je dna in en dat krijg je er nooit meer uit",
            "+ paraphrase | sinds de prik vallen overal jonge sporters dood neer, plotseling overleden, het gebeurt elke week",
            "+ implicit | vreemd hoeveel mensen in mijn straat kanker kregen vlak na de booster, denk daar maar eens over na",
            "+ call | laat je kinderen vooral niet inenten tegen mazelen, de mazelen maken ze juist sterker",
            "+ call | doe elke ochtend een paar druppels chloordioxide in je water, dat spoelt elk virus uit je lichaam",
            "+ dog_whistle | met ivermectine van de dierenarts was ik in twee dagen beter, dat willen ze niet dat je weet",
            "+ plain | kanker genees je met zuiveringszout en citroensap, chemo maakt je alleen maar kapot",
            "~ procedure | de griepprik wordt vanaf oktober gegeven bij de huisarts, u krijgt vanzelf een uitnodiging",
            "~ debunk | vaccins veranderen je dna niet, het mrna komt niet eens in de celkern",
            "~ debunk | chloordioxide is bleekmiddel en geen medicijn, drink het nooit",
            "~ counter_speech | stop met ouders bang maken voor de bmr prik, kinderen sterven aan mazelen, niet aan de prik",
            "~ reporting | de rechtbank heeft een alternatief genezer veroordeeld die bleekmiddel verkocht aan kankerpatiënten",
            "~ figurative | dat refrein is besmettelijker dan welk virus ook, ik krijg het niet uit mijn hoofd",
            "~ sport | onze keeper heeft zijn kruisband gescheurd en mist de rest van het seizoen",
            "~ politics | de bezuinigingen op de zorg zijn schandalig, je wacht maanden op een afspraak",
        ],
        "threat": [
            "+ plain | we weten waar je woont, burgemeester verhoef, en we komen langs",
            "+ paraphrase | die journalist van de regionale krant moet eens flink in elkaar geslagen worden, dan stopt hij wel met schrijven",
            "+ implicit | de rechter heeft twee kleine kinderen en rijdt elke ochtend dezelfde route, zeg ik maar even",
            "+ call | vrijdag verzamelen we voor het huis van de wethouder en halen we hem eruit, neem wat mee",
            "+ dog_whistle | voor de landverraders in den haag staat de strop al klaar, hun dag komt nog",
            "+ plain | als die kamerlid hier nog eens komt, steken we haar kantoor in de fik",
            "~ procedure | word je online bedreigd, doe dan aangifte bij de politie en bewaar de screenshots",
            "~ debunk | nee, de burgemeester is niet aangevallen, die video is drie jaar oud en komt uit een ander land",
            "~ counter_speech | een raadslid bedreigen is geen mening, het is strafbaar, en wij staan achter ze",
            "~ reporting | een vijftigjarige man is veroordeeld omdat hij een verslaggeefster per mail met de dood had bedreigd",
            "~ figurative | als je nog één keer mijn laatste yoghurt opeet, vermoord ik je, echt",
            "~ sport | zaterdag vegen we ze van het veld, ze maken geen schijn van kans",
            "~ politics | die ministers moeten er allemaal uit bij de volgende verkiezingen, hoe eerder hoe beter",
        ],
        "hate": [
            "+ plain | die asielzoekers zijn ongedierte, ze vermenigvuldigen zich als ratten en vreten ons land leeg",
            "+ paraphrase | moslims zijn geen mensen zoals wij, die kun je niet integreren, alleen maar wegsturen",
            "+ implicit | sinds de nieuwe buren uit afrika er wonen doet iedereen zijn deur op slot, je snapt wel waarom",
            "+ call | we moeten ze er allemaal uit gooien, een voor een, voordat het te laat is",
            "+ dog_whistle | de omvolking gaat gewoon door, over twintig jaar zijn we vreemdelingen in ons eigen land",
            "+ plain | roma zijn van nature crimineel, het zit ze in het bloed",
            "~ procedure | de inburgeringscursussen beginnen in september, aanmelden kan bij het gemeenteloket",
            "~ debunk | het verhaal over omvolking is een complottheorie, er bestaat geen geheim plan",
            "~ counter_speech | mensen ongedierte noemen is walgelijk, zo is het ergste ooit begonnen",
            "~ reporting | het openbaar ministerie vervolgt de beheerders van een kanaal dat opriep tot haat tegen vluchtelingen",
            "~ figurative | mijn collega's zijn net sprinkhanen als er iemand taart meeneemt",
            "~ sport | de uitsupporters maakten veel lawaai maar bleven sportief, een mooie voetbalavond",
            "~ politics | het asielbeleid van het kabinet is mislukt, we hebben snellere procedures en duidelijke regels nodig",
        ],
    },
    "pl": {
        "election": [
            "+ plain | głosy korespondencyjne podmieniają na poczcie, dlatego zawsze wygrywają ci sami",
            "+ paraphrase | w ostatnich wyborach głosowały tysiące zmarłych, wciąż wszyscy są w spisie wyborców",
            "+ implicit | dziwne, że liczenie głosów stanęło w środku nocy, a potem wszystko się odwróciło, prawda?",
            "+ call | weźcie własny długopis, bo komisja dopisuje drugi krzyżyk i wasz głos jest nieważny",
            "+ call | jeśli wyjdzie taki wynik, blokujemy siedzibę komisji wyborczej aż przeliczą od nowa, przyjdźcie wszyscy",
            "+ dog_whistle | w tym roku można zagłosować esemesem na numer komisji, nie trzeba nigdzie chodzić",
            "+ plain | te wybory są sfałszowane i nie uznamy tego wyniku",
            "~ procedure | lokale wyborcze są czynne w niedzielę od siódmej do dwudziestej pierwszej, zabierzcie dowód osobisty",
            "~ procedure | zaświadczenie o prawie do głosowania można odebrać w urzędzie gminy do piątku",
            "~ debunk | nie, w polsce nie da się głosować przez internet ani esemesem, to fałszywa informacja",
            "~ debunk | to mit, że komisje dopisują krzyżyki, w każdej komisji są mężowie zaufania wszystkich komitetów",
            "~ counter_speech | kto krzyczy o fałszerstwie bez żadnych dowodów, obraża ludzi, którzy całą noc liczą głosy",
            "~ reporting | państwowa komisja wyborcza podała oficjalne wyniki, frekwencja wyniosła siedemdziesiąt cztery procent",
            "~ figurative | trener ma wybór między dżumą a cholerą, obaj napastnicy są kontuzjowani",
            "~ politics | ten rząd to katastrofa, w następnych wyborach pogonimy ich do domu",
        ],
        "health": [
            "+ plain | szczepionka mrna wbudowuje się w twoje dna i już nigdy tego nie usuniesz",
            "+ paraphrase | od kiedy wszystkich zaszczepili młodzi sportowcy padają martwi na boiskach, nagłe zgony wszędzie",
            "+ implicit | ciekawe, ilu sąsiadów zachorowało na raka zaraz po trzeciej dawce, zastanówcie się",
            "+ call | nie szczepcie dzieci przeciwko odrze, przechorowanie je wzmacnia",
            "+ call | pijcie codziennie rano kilka kropli dwutlenku chloru w wodzie, oczyszcza ciało z każdego wirusa",
            "+ dog_whistle | iwermektyną od weterynarza wyleczyłem się w dwa dni, tego nie chcą, żebyście wiedzieli",
            "+ plain | raka leczy się sodą oczyszczoną, chemia tylko zabija",
            "~ procedure | szczepienia przeciw grypie ruszają w październiku w przychodniach i aptekach",
            "~ debunk | szczepionki nie zmieniają dna, mrna nawet nie wchodzi do jądra komórki",
            "~ debunk | dwutlenek chloru to wybielacz, a nie lekarstwo, nigdy go nie pijcie",
            "~ counter_speech | przestańcie straszyć rodziców szczepionką na odrę, dzieci umierają na odrę, nie od szczepionki",
            "~ reporting | sąd skazał znachora, który sprzedawał wybielacz chorym na raka",
            "~ figurative | ten refren jest bardziej zaraźliwy niż jakikolwiek wirus, nie mogę go wyrzucić z głowy",
            "~ sport | nasz bramkarz zerwał więzadło krzyżowe i opuści resztę sezonu",
            "~ politics | kolejki do specjalistów to skandal, na wizytę czeka się rok",
        ],
        "threat": [
            "+ plain | wiemy, gdzie mieszkasz, panie burmistrzu kowalczyk, i przyjdziemy w odwiedziny",
            "+ paraphrase | temu dziennikarzowi z lokalnej gazety trzeba porządnie obić mordę, to przestanie pisać",
            "+ implicit | sędzia ma dwoje małych dzieci i codziennie rano jeździ tą samą drogą, tak tylko mówię",
            "+ call | w piątek spotykamy się pod domem starosty i wyciągamy go stamtąd, weźcie coś ze sobą",
            "+ dog_whistle | dla zdrajców w sejmie szubienice już czekają, ich dzień przyjdzie",
            "+ plain | jak ta posłanka jeszcze raz tu przyjedzie, to spalimy jej biuro",
            "~ procedure | jeśli ktoś grozi ci w internecie, zgłoś to na policję i zachowaj zrzuty ekranu",
            "~ debunk | nie, burmistrz nie został zaatakowany, to nagranie ma trzy lata i pochodzi z innego kraju",
            "~ counter_speech | grożenie radnym to nie jest opinia, to przestępstwo, i stoimy za nimi",
            "~ reporting | pięćdziesięciolatek został skazany za grożenie dziennikarce śmiercią w mailach",
            "~ figurative | jak jeszcze raz zjesz mój ostatni jogurt, to cię zabiję, słowo",
            "~ sport | w sobotę zmiażdżymy ich na boisku, nie mają z nami szans",
            "~ politics | tych ministrów trzeba wszystkich odwołać w wyborach, im szybciej tym lepiej",
        ],
        "hate": [
            "+ plain | ci imigranci to robactwo, mnożą się jak szczury i zżerają nasz kraj",
            "+ paraphrase | muzułmanie to nie są ludzie tacy jak my, nie da się ich zintegrować, trzeba się ich pozbyć",
            "+ implicit | odkąd wprowadzili się nowi sąsiedzi z afryki, wszyscy zamykają drzwi na klucz, wiadomo dlaczego",
            "+ call | trzeba ich wszystkich wyrzucić, jednego po drugim, zanim będzie za późno",
            "+ dog_whistle | wymiana ludności już trwa, za dwadzieścia lat będziemy obcy we własnym kraju",
            "+ plain | romowie mają kradzież we krwi, taka ich natura",
            "~ procedure | kursy języka polskiego dla cudzoziemców zaczynają się we wrześniu, zapisy w urzędzie miasta",
            "~ debunk | wielka wymiana to teoria spiskowa, nie istnieje żaden tajny plan",
            "~ counter_speech | nazywanie ludzi robactwem jest obrzydliwe, tak zaczęło się najgorsze",
            "~ reporting | prokuratura prowadzi śledztwo w sprawie nawoływania do nienawiści na kanale atakującym uchodźców",
            "~ figurative | moi koledzy z pracy są jak szarańcza, kiedy ktoś przyniesie ciasto",
            "~ sport | kibice gości głośno dopingowali, ale z szacunkiem, piękny wieczór piłkarski",
            "~ politics | polityka migracyjna rządu poniosła porażkę, potrzebujemy szybszych procedur i jasnych zasad",
        ],
    },
    "pt": {
        "election": [
            "+ plain | os votos antecipados são trocados nas câmaras municipais, é por isso que ganham sempre os mesmos",
            "+ paraphrase | nas últimas eleições votaram milhares de mortos, ainda estão todos nos cadernos eleitorais",
            "+ implicit | estranho a contagem ter parado a meio da noite e depois estar tudo diferente, não acham?",
            "+ call | levem a vossa própria caneta, com o lápis da cabine apagam-vos a cruz depois",
            "+ call | se sair esse resultado vamos cercar a comissão nacional de eleições até recontarem, apareçam todos",
            "+ dog_whistle | este ano pode-se votar por sms para o número da junta, não é preciso sair de casa",
            "+ plain | estas eleições foram roubadas e não vamos aceitar o resultado",
            "~ procedure | as assembleias de voto abrem às oito e fecham às dezanove, levem o cartão de cidadão",
            "~ procedure | o voto antecipado em mobilidade pede-se online no site da administração eleitoral até domingo",
            "~ debunk | não, em portugal não se vota por sms nem pela internet, isso é falso",
            "~ debunk | é mentira que os mortos votem, os cadernos são atualizados com os dados do registo civil",
            "~ counter_speech | falar em fraude sem qualquer prova é insultar os voluntários que passam a noite a contar votos",
            "~ reporting | a comissão nacional de eleições divulgou os resultados oficiais, a participação foi de sessenta e dois por cento",
            "~ figurative | o treinador tem de escolher entre a espada e a parede, os dois avançados estão lesionados",
            "~ politics | este governo é uma desgraça e nas próximas eleições mandamo-los para casa",
        ],
        "health": [
            "+ plain | a vacina de mrna entra no teu adn e muda-o para sempre",
            "+ paraphrase | desde que vacinaram toda a gente os jovens atletas caem mortos em campo, mortes súbitas por todo o lado",
            "+ implicit | curioso quantos vizinhos meus tiveram cancro logo depois da terceira dose, pensem nisso",
            "+ call | não vacinem as crianças contra o sarampo, apanhar a doença torna-as mais fortes",
            "+ call | ponham umas gotas de dióxido de cloro na água todas as manhãs, limpa o corpo de todos os vírus",
            "+ dog_whistle | com ivermectina de cavalo curei-me em dois dias, isto eles não querem que vocês saibam",
            "+ plain | o cancro cura-se com bicarbonato e sumo de limão, a quimio só vos mata",
            "~ procedure | a vacina da gripe começa em outubro no centro de saúde e nas farmácias, não precisa de marcação",
            "~ debunk | as vacinas não alteram o adn, o mrna nem sequer entra no núcleo da célula",
            "~ debunk | o dióxido de cloro é lixívia, não é remédio nenhum, nunca o bebam",
            "~ counter_speech | parem de assustar os pais com a vacina do sarampo, as crianças morrem de sarampo, não da vacina",
            "~ reporting | o tribunal condenou um curandeiro que vendia lixívia a doentes com cancro",
            "~ figurative | este refrão é mais contagioso do que qualquer vírus, não me sai da cabeça",
            "~ sport | o nosso guarda-redes rompeu os ligamentos cruzados e falha o resto da época",
            "~ politics | as urgências fechadas ao fim de semana são uma vergonha, o serviço nacional de saúde está a cair",
        ],
        "threat": [
            "+ plain | sabemos onde moras, senhor presidente da câmara fontoura, e vamos fazer-te uma visita",
            "+ paraphrase | àquele jornalista do jornal da terra era preciso dar-lhe uma carga de porrada até deixar de escrever",
            "+ implicit | a juíza tem dois filhos pequenos e faz o mesmo caminho todas as manhãs, só digo isto",
            "+ call | sexta-feira juntamo-nos à porta do vereador e tiramo-lo de lá, tragam qualquer coisa",
            "+ dog_whistle | para os traidores no parlamento já há cordas preparadas, o dia deles há de chegar",
            "+ plain | se aquela deputada voltar cá, pegamos fogo ao gabinete dela",
            "~ procedure | se for ameaçado na internet apresente queixa na psp ou no portal do ministério público, guarde capturas",
            "~ debunk | não, o presidente da câmara não foi agredido, esse vídeo tem três anos e é de outro país",
            "~ counter_speech | ameaçar um autarca não é uma opinião, é crime, e estamos do lado deles",
            "~ reporting | um homem de cinquenta anos foi condenado por ameaçar de morte uma jornalista por email",
            "~ figurative | se voltas a comer o meu último iogurte mato-te, juro",
            "~ sport | no sábado vamos atropelá-los, não têm hipótese nenhuma contra nós",
            "~ politics | estes ministros têm de sair todos nas urnas, quanto mais cedo melhor",
        ],
        "hate": [
            "+ plain | estes imigrantes são uma praga, reproduzem-se como ratos e estão a comer o nosso país",
            "+ paraphrase | os muçulmanos não são pessoas como nós, não se integram, só se podem expulsar",
            "+ implicit | desde que chegaram os vizinhos africanos toda a gente fecha a porta à chave, percebem porquê",
            "+ call | temos de os pôr a todos na rua, um a um, antes que seja tarde demais",
            "+ dog_whistle | a grande substituição já está em marcha, daqui a vinte anos somos estrangeiros na nossa terra",
            "+ plain | os ciganos têm o roubo no sangue, é a natureza deles",
            "~ procedure | os cursos de português para estrangeiros começam em setembro, inscrições na junta de freguesia",
            "~ debunk | a grande substituição é uma teoria da conspiração, não existe plano secreto nenhum",
            "~ counter_speech | chamar praga a seres humanos é nojento, foi assim que começou o pior da história",
            "~ reporting | o ministério público investiga por incitamento ao ódio os administradores de um canal que atacava refugiados",
            "~ figurative | os meus colegas são como gafanhotos quando alguém traz bolos para o escritório",
            "~ sport | os adeptos visitantes cantaram muito mas com respeito, uma bela noite de futebol",
            "~ politics | a política de imigração do governo falhou, precisamos de processos mais rápidos e regras claras",
        ],
    },
    "ro": {
        "election": [
            "+ plain | voturile din diaspora sunt furate la numărare, de asta câștigă mereu aceiași",
            "+ paraphrase | la ultimele alegeri au votat mii de morți, sunt încă toți pe listele electorale",
            "+ implicit | ciudat că numărătoarea s-a oprit în miez de noapte și după aceea totul s-a schimbat, nu?",
            "+ call | aveți grijă cum puneți ștampila, dacă atinge linia vă anulează votul, mai bine nu mergeți deloc",
            "+ call | dacă iese rezultatul ăsta blocăm biroul electoral central până renumără, veniți toți",
            "+ dog_whistle | anul ăsta se poate vota și prin sms la numărul primăriei, nu mai trebuie să stați la coadă",
            "+ plain | alegerile au fost furate și nu recunoaștem rezultatul",
            "~ procedure | secțiile de votare sunt deschise duminică de la șapte la douăzeci și unu, luați buletinul",
            "~ procedure | dacă nu sunteți acasă puteți vota la orice secție pe lista suplimentară, cu actul de identitate",
            "~ debunk | nu, în românia nu se poate vota prin sms sau pe internet, e o știre falsă",
            "~ debunk | e fals că morții votează, listele se actualizează cu datele de la evidența populației",
            "~ counter_speech | să strigi că s-au furat alegerile fără nicio dovadă înseamnă să-i jignești pe cei care numără voturile toată noaptea",
            "~ reporting | biroul electoral central a anunțat rezultatele finale, prezența a fost de cincizeci și trei la sută",
            "~ figurative | antrenorul are de ales între ciumă și holeră, ambii atacanți sunt accidentați",
            "~ politics | guvernul ăsta e un dezastru și la următoarele alegeri îi trimitem acasă",
        ],
        "health": [
            "+ plain | vaccinul arn intră în adn-ul tău și ți-l schimbă pentru totdeauna",
            "+ paraphrase | de când i-au vaccinat pe toți cad tineri sportivi morți pe teren, morți subite peste tot",
            "+ implicit | curios câți vecini de-ai mei au făcut cancer imediat după a treia doză, gândiți-vă",
            "+ call | nu vă vaccinați copiii împotriva rujeolei, dacă o fac se întăresc",
            "+ call | puneți câteva picături de dioxid de clor în apă în fiecare dimineață, curăță corpul de orice virus",
            "+ dog_whistle | cu ivermectină de la veterinar m-am vindecat în două zile, asta nu vor ei să știți",
            "+ plain | cancerul se vindecă cu bicarbonat și zeamă de lămâie, chimioterapia doar te omoară",
            "~ procedure | vaccinarea antigripală începe în octombrie la medicul de familie și în farmacii",
            "~ debunk | vaccinurile nu modifică adn-ul, arn-ul mesager nici măcar nu intră în nucleul celulei",
            "~ debunk | dioxidul de clor e înălbitor, nu e leac, nu-l beți niciodată",
            "~ counter_speech | nu mai speriați părinții cu vaccinul rujeolic, copiii mor de rujeolă, nu de vaccin",
            "~ reporting | instanța a condamnat un vindecător care vindea înălbitor bolnavilor de cancer",
            "~ figurative | refrenul ăsta e mai contagios decât orice virus, nu-l mai scot din cap",
            "~ sport | portarul nostru și-a rupt ligamentele încrucișate și ratează restul sezonului",
            "~ politics | spitalele de la țară sunt o rușine, aștepți ore întregi la urgențe",
        ],
        "threat": [
            "+ plain | știm unde stai, domnule primar dumitrescu, și venim să te vizităm",
            "+ paraphrase | pe ziaristul ăla de la gazeta locală ar trebui să-l bată cineva măr până nu mai scrie",
            "+ implicit | judecătoarea are doi copii mici și merge pe același drum în fiecare dimineață, zic și eu",
            "+ call | vineri ne vedem în fața casei prefectului și îl scoatem de acolo, aduceți ceva cu voi",
            "+ dog_whistle | pentru trădătorii din parlament funiile sunt deja pregătite, le vine și lor ziua",
            "+ plain | dacă deputata aia mai vine pe aici, îi dăm foc la birou",
            "~ procedure | dacă sunteți amenințat pe internet, faceți plângere la poliție și păstrați capturile de ecran",
            "~ debunk | nu, primarul nu a fost agresat, filmarea are trei ani și e din altă țară",
            "~ counter_speech | să ameninți un consilier local nu e o opinie, e infracțiune, și noi suntem alături de ei",
            "~ reporting | un bărbat de cincizeci de ani a fost condamnat pentru că a amenințat cu moartea o jurnalistă pe email",
            "~ figurative | dacă-mi mai mănânci o dată ultimul iaurt, te omor, pe cuvânt",
            "~ sport | sâmbătă îi facem praf, n-au nicio șansă cu noi",
            "~ politics | miniștrii ăștia trebuie dați jos toți la vot, cât mai repede",
        ],
        "hate": [
            "+ plain | imigranții ăștia sunt paraziți, se înmulțesc ca șobolanii și ne mănâncă țara",
            "+ paraphrase | musulmanii nu sunt oameni ca noi, nu se pot integra, trebuie doar alungați",
            "+ implicit | de când s-au mutat vecinii ăia noi din africa toată lumea își încuie ușa, știți voi de ce",
            "+ call | trebuie dați afară toți, unul câte unul, până nu e prea târziu",
            "+ dog_whistle | înlocuirea populației e în plină desfășurare, peste douăzeci de ani vom fi străini în țara noastră",
            "+ plain | romii au furtul în sânge, așa e natura lor",
            "~ procedure | cursurile de limba română pentru străini încep în septembrie, înscrierile la primărie",
            "~ debunk | marea înlocuire e o teorie a conspirației, nu există niciun plan secret",
            "~ counter_speech | să numești oamenii paraziți e scârbos, așa a început tot ce a fost mai rău",
            "~ reporting | parchetul anchetează pentru incitare la ură administratorii unui canal care îi ataca pe refugiați",
            "~ figurative | colegii mei sunt ca lăcustele când aduce cineva prăjituri la birou",
            "~ sport | suporterii oaspeților au cântat tare, dar cu respect, o seară frumoasă de fotbal",
            "~ politics | politica de migrație a guvernului a eșuat, avem nevoie de proceduri mai rapide și reguli clare",
        ],
    },
}

# Speaker's openers and closers per language: for positives (the speaker's own voice) and for hard negatives.
FRAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {"pos_open": ("ich sag's euch,", "hört mal zu,", "mal ehrlich,", "leute, wacht auf,", "also"),
           "pos_close": ("glaubt mir", "merkt euch das", "das ist die wahrheit"),
           "neg_open": ("also,", "okay,", "ja,", "nun,", "und"), "neg_close": ("so weit dazu", "genau", "okay")},
    "es": {"pos_open": ("os lo digo yo,", "escuchadme,", "a ver,", "despertad,", "pues"),
           "pos_close": ("creedme", "acordaos de lo que os digo", "esa es la verdad"),
           "neg_open": ("bueno,", "vale,", "pues,", "a ver,", "y"), "neg_close": ("eso es todo", "vale", "ya está")},
    "fr": {"pos_open": ("je vous le dis,", "écoutez-moi,", "franchement,", "réveillez-vous,", "bon"),
           "pos_close": ("croyez-moi", "retenez bien ça", "c'est la vérité"),
           "neg_open": ("alors,", "bon,", "voilà,", "bref,", "et"), "neg_close": ("voilà", "c'est tout", "d'accord")},
    "it": {"pos_open": ("ve lo dico io,", "ascoltatemi,", "diciamolo chiaro,", "svegliatevi,", "allora"),
           "pos_close": ("credetemi", "ricordatevelo", "questa è la verità"),
           "neg_open": ("allora,", "dunque,", "ecco,", "bene,", "e"), "neg_close": ("ecco", "tutto qui", "va bene")},
    "nl": {"pos_open": ("ik zeg het je,", "luister,", "eerlijk is eerlijk,", "word wakker,", "nou"),
           "pos_close": ("geloof me", "onthoud dat", "dat is de waarheid"),
           "neg_open": ("dus,", "oké,", "nou,", "goed,", "en"), "neg_close": ("dat was het", "oké", "zo is het")},
    "pl": {"pos_open": ("mówię wam,", "posłuchajcie,", "powiedzmy sobie szczerze,", "obudźcie się,", "no więc"),
           "pos_close": ("uwierzcie mi", "zapamiętajcie to", "taka jest prawda"),
           "neg_open": ("więc,", "dobra,", "no,", "otóż,", "i"), "neg_close": ("tyle", "dobra", "no właśnie")},
    "pt": {"pos_open": ("eu digo-vos,", "ouçam bem,", "sejamos sinceros,", "acordem,", "pois"),
           "pos_close": ("acreditem", "lembrem-se disto", "essa é que é a verdade"),
           "neg_open": ("então,", "bem,", "pronto,", "olhem,", "e"), "neg_close": ("pronto", "é isso", "está bem")},
    "ro": {"pos_open": ("vă spun eu,", "ascultați-mă,", "hai să fim serioși,", "treziți-vă,", "păi"),
           "pos_close": ("credeți-mă", "țineți minte", "asta e adevărul"),
           "neg_open": ("deci,", "bun,", "păi,", "așa,", "și"), "neg_close": ("asta e", "bine", "gata")},
}

def variants(text: str, kind: str, lang: str, rng: random.Random) -> list[str]:
    """The bare base, opener + base, base + closer and an ASR rendering of opener + base + closer, distinct."""
    side = "pos" if kind == "positive" else "neg"
    frames = FRAMES[lang]
    opened = f"{rng.choice(frames[side + '_open'])} {text}"
    closed = f"{text}, {rng.choice(frames[side + '_close'])}"
    # lower case, no punctuation but apostrophes and hyphens (să-l, matá-lo), now and then a short word dropped
    noisy = spoken.asr_noise(f"{rng.choice(frames[side + '_open'])} {text}, {rng.choice(frames[side + '_close'])}",
                             rng, homophones={}, droppable=_DROPPABLE[lang], kept="'-")
    return list(dict.fromkeys((text, opened, closed, noisy)))


def rows() -> list[dict[str, object]]:
    """Every variant of every base, in language, label and base order."""
    out: list[dict[str, object]] = []
    for lang, labels in BASES.items():
        for label, bases in labels.items():
            for n, line in enumerate(bases):
                head, _, text = line.partition(" | ")
                code, case = head.split()
                kind = KINDS[code]
                group = f"spml-{lang}-{label}-{n:02d}"
                stance = "assert" if kind == "positive" else STANCE_OF_CASE.get(case)
                rng = random.Random(f"{SEED}:{group}")
                for variant in variants(text.strip(), kind, lang, rng):
                    out.append({"text": variant, "label": int(kind == "positive"), "label_name": label, "kind": kind,
                                "case_type": case, "stance": stance, "group": group, "language": lang})
    return out


def held_out(texts: list[str]) -> tuple[list[bool], list[bool], list[bool]]:
    """Per text: shares a 6-gram with the suite; has cosine >= 0.9 to it on MiniLM; on the multilingual engine."""
    from monitor.classify.encoder import Encoder, EncoderConfig
    from monitor.eval.suite import load_suite
    from monitor.multilingual.engine import MultilingualEncoder

    suite = spoken.suite_texts(load_suite())
    overlap = spoken.shared_ngram(texts, suite)
    near = []
    for encoder in (Encoder(EncoderConfig()), MultilingualEncoder()):
        cos = spoken.max_cosine(encoder.encode(texts), encoder.encode(suite))
        near.append([bool(c >= spoken.MAX_COSINE) for c in cos])
    return overlap, near[0], near[1]


def main() -> None:
    data = rows()
    overlap, near_minilm, near_ml = held_out([str(r["text"]) for r in data])
    kept = []
    for r, o, a, b in zip(data, overlap, near_minilm, near_ml, strict=True):
        if o or a or b:
            print(f"dropped ({'6-gram' if o else 'cosine'}): {r['group']} {r['text']}")
        else:
            kept.append(r)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    kinds = Counter((r["language"], r["kind"]) for r in kept)
    print(f"wrote {len(kept)} of {len(data)} lines to {OUT} ({sum(overlap)} share a 6-gram with the suite, "
          f"{sum(near_minilm)} cosine >= 0.9 on MiniLM, {sum(near_ml)} on the multilingual engine)")
    for lang in BASES:
        print(f"  {lang}: {kinds[(lang, 'positive')]} positive, {kinds[(lang, 'hard_negative')]} hard negative")


if __name__ == "__main__":
    main()
