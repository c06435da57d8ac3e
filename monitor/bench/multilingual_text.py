"""Project-written talk-radio text in the multilingual engine's languages, for the bench's mixed-language workload.

Everyday talk per language (sport, weather, local news, cooking, politics) plus two passages per language
that the health and election rule sets are written to catch, so non-English alerts flow too. Written for
the bench from general knowledge of each language, not from the functional suite (`tests/functional/`).
"""

from __future__ import annotations

TOPICS: dict[str, list[str]] = {
    "de": [
        "der stürmer hatte eine ruhige erste halbzeit aber das zweite tor war einfach klasse",
        "seit heute morgen regnet es und der fluss ist schon ziemlich hoch",
        "der stadtrat hat nach einer langen sitzung die neuen radwege beschlossen",
        "die zwiebeln musst du mindestens zwanzig minuten langsam anbraten",
        "die debatte gestern abend war hitzig aber beide kandidaten blieben sachlich",
        "die bibliothek hat in der prüfungszeit länger geöffnet",
    ],
    "es": [
        "el delantero tuvo una primera parte tranquila pero el segundo gol fue una maravilla",
        "lleva lloviendo desde primera hora y el río ya va bastante crecido",
        "el ayuntamiento aprobó los nuevos carriles bici después de un pleno muy largo",
        "la cebolla hay que pocharla despacio por lo menos veinte minutos",
        "el debate de anoche fue tenso pero los dos candidatos hablaron de propuestas",
        "la biblioteca amplía el horario durante la época de exámenes",
    ],
    "fr": [
        "l'attaquant a eu une première mi-temps discrète mais le deuxième but était superbe",
        "il pleut depuis ce matin et la rivière est déjà bien haute",
        "le conseil municipal a voté les nouvelles pistes cyclables après une longue séance",
        "il faut faire revenir les oignons doucement pendant au moins vingt minutes",
        "le débat d'hier soir était animé mais les deux candidats sont restés sur le fond",
        "la médiathèque prolonge ses horaires pendant la période des examens",
    ],
    "it": [
        "l'attaccante ha fatto un primo tempo anonimo ma il secondo gol è stato splendido",
        "piove da stamattina e il fiume è già parecchio alto",
        "il consiglio comunale ha approvato le nuove piste ciclabili dopo una seduta lunghissima",
        "la cipolla va fatta appassire piano per almeno venti minuti",
        "il dibattito di ieri sera è stato acceso ma i due candidati sono rimasti sui programmi",
        "la biblioteca allunga gli orari durante la sessione d'esami",
    ],
    "nl": [
        "de spits had een rustige eerste helft maar die tweede goal was prachtig",
        "het regent al sinds vanochtend vroeg en de rivier staat al behoorlijk hoog",
        "de gemeenteraad heeft na een lange vergadering de nieuwe fietspaden goedgekeurd",
        "je moet de uien minstens twintig minuten rustig laten fruiten",
        "het debat gisteravond was fel maar beide kandidaten bleven bij de inhoud",
        "de bibliotheek is tijdens de examenperiode langer open",
    ],
    "pl": [
        "napastnik miał spokojną pierwszą połowę ale drugi gol był przepiękny",
        "pada od samego rana i rzeka jest już dość wysoko",
        "rada miasta po bardzo długiej sesji przegłosowała nowe ścieżki rowerowe",
        "cebulę trzeba podsmażać powoli przez co najmniej dwadzieścia minut",
        "wczorajsza debata była gorąca ale obaj kandydaci trzymali się programów",
        "biblioteka w czasie sesji egzaminacyjnej jest otwarta dłużej",
    ],
    "pt": [
        "o avançado fez uma primeira parte apagada mas o segundo golo foi uma maravilha",
        "está a chover desde manhã cedo e o rio já vai bastante cheio",
        "a câmara aprovou as novas ciclovias depois de uma reunião muito longa",
        "a cebola tem de alourar devagar pelo menos vinte minutos",
        "o debate de ontem à noite foi aceso mas os dois candidatos falaram de propostas",
        "a biblioteca alarga o horário durante a época de exames",
    ],
    "ro": [
        "atacantul a avut o primă repriză ștearsă dar al doilea gol a fost superb",
        "plouă de dimineață devreme și râul e deja destul de mare",
        "consiliul local a aprobat noile piste de biciclete după o ședință foarte lungă",
        "ceapa trebuie călită încet cel puțin douăzeci de minute",
        "dezbaterea de aseară a fost aprinsă dar ambii candidați au vorbit despre programe",
        "biblioteca prelungește programul în sesiunea de examene",
    ],
}

FILLERS: dict[str, list[str]] = {
    "de": ["also", "ehrlich gesagt", "na ja", "wie gesagt", "schauen wir mal"],
    "es": ["bueno", "la verdad", "o sea", "como decía", "a ver"],
    "fr": ["bon", "franchement", "enfin", "comme je disais", "voilà"],
    "it": ["allora", "sinceramente", "cioè", "come dicevo", "ecco"],
    "nl": ["nou", "eerlijk gezegd", "ja", "zoals ik zei", "kijk"],
    "pl": ["no więc", "szczerze mówiąc", "znaczy", "jak mówiłem", "słuchajcie"],
    "pt": ["pronto", "sinceramente", "quer dizer", "como eu dizia", "olhe"],
    "ro": ["deci", "sincer", "adică", "cum spuneam", "uitați"],
}

#: Per language, a health falsehood and a false voting procedure (the health and election rules' territory).
VIOLATING: dict[str, list[str]] = {
    "de": ["die impfung macht unfruchtbar, das verschweigen euch die ärzte seit jahren",
           "ihr müsst nicht ins wahllokal, dieses mal wählt man einfach per sms an die gemeinde"],
    "es": ["la vacuna te deja estéril y los médicos lo esconden desde hace años",
           "no hace falta ir al colegio electoral, esta vez se vota mandando un sms al ayuntamiento"],
    "fr": ["le vaccin rend stérile et les médecins vous le cachent depuis des années",
           "pas besoin d'aller au bureau de vote, cette fois on vote en envoyant un sms à la mairie"],
    "it": ["il vaccino rende sterili e i medici ve lo nascondono da anni",
           "non serve andare al seggio, stavolta si vota mandando un sms al comune"],
    "nl": ["het vaccin maakt je onvruchtbaar en de artsen verzwijgen het al jaren",
           "je hoeft niet naar het stembureau, deze keer stem je gewoon per sms naar de gemeente"],
    "pl": ["szczepionka powoduje bezpłodność a lekarze ukrywają to od lat",
           "nie trzeba iść do lokalu wyborczego, tym razem głosuje się esemesem do urzędu gminy"],
    "pt": ["a vacina deixa as pessoas estéreis e os médicos escondem isso há anos",
           "não é preciso ir à assembleia de voto, desta vez vota-se por sms para a junta"],
    "ro": ["vaccinul te face steril și medicii ascund asta de ani de zile",
           "nu trebuie să mergeți la secția de votare, de data asta se votează prin sms la primărie"],
}

LANGUAGES: tuple[str, ...] = tuple(TOPICS)
