"""The demo campaign: the seven demands of the 2017 #WeChoose education-equity campaign.

The explanations are our own short summaries, in English and Spanish.
"""

from __future__ import annotations

from .extensions import db
from .models import Coalition, Demand, DemandTranslation, Petition, PetitionTranslation

COALITION = {"slug": "wechoose-coalition", "name": "#WeChoose Coalition"}

PETITION = {
    "slug": "wechoose",
    "goal": 25_000,
    "default_country": "US",
    "default_locale": "en",
    "en": {
        "title": "#WeChoose: education justice for every child",
        "summary": (
            "Parents, students and educators choose strong public schools for every community. "
            "Sign to back the seven demands of the #WeChoose campaign."
        ),
        "body": (
            "In 2017, parents, students, teachers and community groups in cities across the United States "
            "came together under one banner, **#WeChoose**. They had watched neighborhood schools close, "
            "elected boards replaced by appointees, and students pushed out by harsh discipline and "
            "high-stakes tests, most of all in Black and Latino neighborhoods.\n\n"
            "Instead of choosing between a failing school and a lottery ticket, they chose something "
            "better: well-supported public schools that the community helps to run.\n\n"
            "Sign to add your name, tell us which demands you back, and we will carry the count, city by "
            "city, to school boards, statehouses and Congress."
        ),
    },
    "es": {
        "title": "#WeChoose: justicia educativa para cada niño y niña",
        "summary": (
            "Madres, padres, estudiantes y educadores eligen escuelas públicas fuertes para cada comunidad. "
            "Firma para apoyar las siete demandas de la campaña #WeChoose."
        ),
        "body": (
            "En 2017, familias, estudiantes, docentes y grupos comunitarios de ciudades de todo Estados Unidos "
            "se unieron bajo una misma bandera, **#WeChoose** («Nosotros elegimos»). Habían visto cerrar "
            "escuelas de barrio, sustituir juntas elegidas por personas designadas y expulsar a estudiantes "
            "con una disciplina dura y exámenes de alto impacto, sobre todo en barrios negros y latinos.\n\n"
            "En lugar de elegir entre una escuela abandonada y un boleto de lotería, eligieron algo mejor: "
            "escuelas públicas bien apoyadas que la comunidad ayuda a dirigir.\n\n"
            "Firma para sumar tu nombre, dinos qué demandas apoyas y llevaremos el recuento, ciudad por "
            "ciudad, a las juntas escolares, a los congresos estatales y al Congreso."
        ),
    },
}

DEMANDS = [
    {
        "en": (
            "A moratorium on school privatization",
            "Stop the spread of privately run charter schools and voucher programs. Public money should "
            "build public schools that answer to the communities they serve.",
        ),
        "es": (
            "Una moratoria a la privatización de las escuelas",
            "Detener la expansión de las escuelas chárter de gestión privada y de los programas de vales. "
            "El dinero público debe construir escuelas públicas que respondan a sus comunidades.",
        ),
    },
    {
        "en": (
            "10,000 sustainable community schools",
            "Fund 10,000 community schools with an engaging, culturally relevant curriculum, strong "
            "teaching, support for the whole family, positive discipline and real community decision-making.",
        ),
        "es": (
            "10.000 escuelas comunitarias sostenibles",
            "Financiar 10.000 escuelas comunitarias con un currículo atractivo y culturalmente relevante, "
            "buena enseñanza, apoyo a toda la familia, disciplina positiva y decisiones tomadas con la comunidad.",
        ),
    },
    {
        "en": (
            "End zero-tolerance policies",
            "Replace suspensions, expulsions and police in the hallways with restorative practices that keep "
            "students in school and learning.",
        ),
        "es": (
            "Acabar con las políticas de tolerancia cero",
            "Sustituir las suspensiones, las expulsiones y la policía en los pasillos por prácticas "
            "restaurativas que mantengan al alumnado en la escuela y aprendiendo.",
        ),
    },
    {
        "en": (
            "A national equity assessment",
            "Measure, district by district, how money, teachers, courses and outcomes are shared, and publish "
            "the findings so that the gaps can be closed.",
        ),
        "es": (
            "Una evaluación nacional de equidad",
            "Medir, distrito por distrito, cómo se reparten el dinero, los docentes, los cursos y los "
            "resultados, y publicar los datos para poder cerrar las brechas.",
        ),
    },
    {
        "en": (
            "Stop the attack on Black teachers",
            "Recruit, support and keep Black teachers, whose numbers fell as schools in Black neighborhoods "
            "were closed or taken over.",
        ),
        "es": (
            "Detener el ataque contra los maestros negros",
            "Contratar, apoyar y retener a maestras y maestros negros, cuyo número cayó a medida que se "
            "cerraban o intervenían las escuelas de los barrios negros.",
        ),
    },
    {
        "en": (
            "End state takeovers, appointed boards and mayoral control",
            "Give schools back to elected, accountable local boards: the communities that live with the "
            "decisions should make them.",
        ),
        "es": (
            "Acabar con las intervenciones estatales, las juntas designadas y el control de las alcaldías",
            "Devolver las escuelas a juntas locales elegidas y responsables: quienes viven con las decisiones "
            "deben tomarlas.",
        ),
    },
    {
        "en": (
            "End the over-reliance on standardized tests",
            "Stop using high-stakes tests to close schools, rank teachers and hold students back; assess "
            "learning in ways that help students grow.",
        ),
        "es": (
            "Acabar con la dependencia excesiva de los exámenes estandarizados",
            "Dejar de usar exámenes de alto impacto para cerrar escuelas, clasificar a docentes y hacer "
            "repetir curso; evaluar el aprendizaje de formas que ayuden a crecer.",
        ),
    },
]


def seed() -> tuple[Petition, bool]:
    """Create the demo coalition and campaign unless they exist; return the petition and whether it is new."""
    coalition = db.session.execute(db.select(Coalition).where(Coalition.slug == COALITION["slug"])).scalar_one_or_none()
    if coalition is None:
        coalition = Coalition(**COALITION)
        db.session.add(coalition)
    petition = db.session.execute(db.select(Petition).where(Petition.slug == PETITION["slug"])).scalar_one_or_none()
    if petition is not None:
        return petition, False
    petition = Petition(
        coalition=coalition,
        slug=PETITION["slug"],
        goal=PETITION["goal"],
        default_country=PETITION["default_country"],
        default_locale=PETITION["default_locale"],
        **PETITION["en"],
    )
    petition.translations["es"] = PetitionTranslation(locale="es", **PETITION["es"])
    for position, texts in enumerate(DEMANDS, start=1):
        title, explanation = texts["en"]
        demand = Demand(position=position, title=title, explanation=explanation)
        title, explanation = texts["es"]
        demand.translations["es"] = DemandTranslation(locale="es", title=title, explanation=explanation)
        petition.demands.append(demand)
    petition.open()
    db.session.add(petition)
    db.session.commit()
    return petition, True
