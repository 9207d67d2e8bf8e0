"""The demo campaign's copy in Spanish, mirroring `campaigns.demo` piece by piece.

Plain data only, so it can be loaded into the `_es` fields without touching the English.
Written for Spanish-speaking readers in Connecticut (usted throughout); the organization's
name, the check payee and the mailing address stay as they are in English.
"""

TITLE = "Ayúdenos a llevar nuestra misión al siguiente nivel"

SUMMARY = (
    "Open Communities Alliance trabaja por más opciones de vivienda, la integración y el "
    "acceso a oportunidades en todo Connecticut."
)

LETTER = """\
Casi el 90% de las viviendas que el gobierno ha construido para los niños más \
vulnerables de Connecticut están en zonas de pobreza concentrada, con escuelas que no \
tienen los recursos suficientes. Esto no tiene sentido.

En los últimos tres años, Open Communities Alliance ha logrado avances al impulsar con \
éxito cambios en las políticas estatales y federales que promueven la integración, más \
opciones de vivienda y el acceso a oportunidades, incluso en zonas con escuelas que \
cuentan con todos sus recursos. Pero queda mucho por hacer. Hemos llegado a una \
encrucijada decisiva y necesitamos su ayuda para llevar nuestra misión al siguiente nivel.

Antes de la elección de Donald Trump, el gobierno federal había dado luz verde a \
políticas transformadoras que ya estaban influyendo en las prioridades del gobierno \
aquí en Connecticut. Estas políticas se centraban en “promover afirmativamente la \
vivienda justa”, es decir, en revertir conscientemente décadas de políticas \
gubernamentales deliberadas que crearon la segregación que hoy marca el mapa de la \
vivienda. Estos cambios pueden hacer frente a la zonificación excluyente, a la \
ubicación de la vivienda pública y a la inversión en vivienda subsidiada, de modo que \
las familias de menores ingresos tengan opciones sin que se vuelvan a crear focos de \
pobreza concentrada.

Al enfrentar la segregación y ampliar las opciones de vivienda de las familias de color \
de bajos ingresos y de muchas otras familias que dependen de la vivienda asequible \
(madres y padres solteros, sobre todo mujeres; personas con discapacidad; y \
trabajadores de salarios bajos y medianos), podemos crear un Connecticut más justo y \
económicamente pujante, y ofrecer al país un modelo de diversidad e inclusión.

Juntos, también podemos transformar la educación pública en Connecticut y hacerla más \
equitativa. En casi todo el estado, el lugar donde usted vive determina la escuela a la \
que van sus hijos, y hay grandes diferencias de recursos entre los distritos escolares. \
Una política de vivienda más equilibrada, en la que cada municipio asuma la parte de \
vivienda asequible que le corresponde, permitirá que todos los distritos ofrezcan una \
educación de alta calidad a todos sus estudiantes. Open Communities Alliance está \
trabajando para elaborar ese plan.
"""

HELP_HEADING = "¿Cómo ayudará Open Communities Alliance? ¿Cómo puede ayudar USTED?"

SECTIONS = [
    (
        "Usted puede ayudarnos a ser la voz de miles de familias.",
        "Familias que quieren más opciones sobre dónde vivir. Trabajamos con familias "
        "reales que enfrentan obstáculos serios. Algunas quieren quedarse en sus "
        "vecindarios, que pasan por momentos difíciles —y nuestro trabajo las ayudará—, "
        "pero muchas quieren mudarse. Nuestro objetivo es uno solo: que puedan elegir.",
    ),
    (
        "Usted puede ayudarnos a poner en marcha políticas basadas en el mercado para "
        "combatir la zonificación excluyente.",
        "Trabajamos con aliados nacionales como el National Housing Trust y con "
        "instituciones locales de prestigio como la Facultad de Derecho de Yale para "
        "movilizar recursos que permitan construir, a gran escala, viviendas atractivas "
        "de ingresos mixtos y crear así comunidades abiertas en todo el estado.",
    ),
    (
        "Usted puede ayudarnos a proteger a Connecticut del retroceso de los derechos "
        "civiles en la vivienda a nivel federal",
        "Hoy más que nunca, es fundamental que Connecticut dé un paso al frente como "
        "modelo de inclusión y de una política de vivienda sensata. Mientras protegemos "
        "nuestros valiosos recursos de vivienda y a las poblaciones vulnerables, debemos "
        "combatir la reacción instintiva de congelar los avances en derechos civiles "
        "cuando llegan tiempos difíciles.",
    ),
    (
        "Usted puede ayudarnos a difundir este mensaje: POLÍTICA DE VIVIENDA = POLÍTICA ESCOLAR",
        "En Connecticut se han dictado decisiones judiciales notables sobre la "
        "segregación escolar y la necesidad de financiar las escuelas de forma "
        "equitativa. Estas decisiones son de vital importancia, pero por sí solas no "
        "pueden resolver un hecho: en la raíz de la segregación y la desigualdad escolar "
        "hay una segregación residencial que está entre las más profundas del país. "
        "Enfrentar la segregación residencial y las desigualdades que genera, en la "
        "educación y más allá, es parte central de la misión de OCA.",
    ),
    (
        "Usted puede ayudarnos a exigirle cuentas al gobierno de Trump",
        "Quizás muchas personas en Connecticut no sepan que OCA forma parte de una "
        "sólida coalición nacional de organizaciones de derechos civiles —entre ellas el "
        "Fondo de Defensa Legal de la NAACP (NAACP LDF), el Comité de Abogados por los "
        "Derechos Civiles, el Consejo de Investigación y Acción sobre Pobreza y Raza "
        "(PRRAC) y la Unión Americana de Libertades Civiles (ACLU)— que en conjunto "
        "elabora y presenta comentarios clave sobre las políticas federales en "
        "preparación. En los últimos años hemos contribuido a numerosas cartas dirigidas "
        "al Departamento de Vivienda y Desarrollo Urbano de EE. UU. (HUD) con "
        "recomendaciones que a menudo se incorporan a las normas definitivas. Esta labor "
        "de defensa a nivel nacional será aún más importante en los próximos cuatro años.",
    ),
]

CLOSING = """\
**¡Necesitamos su ayuda!** Por favor, considere hacer una donación generosa. Puede \
donar en línea en esta página o enviarnos un cheque.
"""

OTHER_WAYS = """\
Muchos empleadores igualan las donaciones de sus empleados: consulte con el suyo, y una \
sola donación puede contar doble.

*Un programa del pasado:* desde 2017 y hasta que Amazon cerró el programa en 2023, \
quienes nos apoyaban también podían donar a través de AmazonSmile con sus compras de \
todos los días.
"""

SHARE_TITLE = "Apoye a Open Communities Alliance"

SHARE_DESCRIPTION = (
    "Ayude a las familias de Connecticut a elegir dónde vivir: done a Open Communities "
    "Alliance, una organización sin fines de lucro por la vivienda justa."
)

TAX_STATEMENT = (
    "Open Communities Alliance es una organización sin fines de lucro 501(c)(3), por lo "
    "que todas las donaciones que recibe son deducibles de impuestos."
)

# Only the prose fields: amounts, dates, the payee's name, the address, the EIN and the
# phone number read the same in both languages and have no Spanish twin.
CAMPAIGN_FIELDS_ES = {
    "title": TITLE,
    "summary": SUMMARY,
    "letter": LETTER,
    "help_heading": HELP_HEADING,
    "closing": CLOSING,
    "other_ways_to_give": OTHER_WAYS,
    "share_title": SHARE_TITLE,
    "share_description": SHARE_DESCRIPTION,
    "tax_statement": TAX_STATEMENT,
    "impact_cues": (
        "25 = cubre los materiales de un taller de vivienda justa para una familia\n"
        "50 = ayuda a una familia a presentar una queja por discriminación en la vivienda\n"
        "100 = capacita a un voluntario para acompañar a inquilinos en su búsqueda de vivienda\n"
        "250 = financia una semana de investigación para una demanda contra la segregación"
    ),
    "hero_image_alt": (
        "Ilustración de una calle con casas y edificios variados al amanecer, con vecinos "
        "caminando por la acera."
    ),
}
